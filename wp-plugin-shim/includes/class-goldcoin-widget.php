<?php
/**
 * The widget on a page: the script (loaded async) and the custom element with a fresh token, the
 * sidecar URL and what the widget needs to refresh the token later.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Widget {
	const HANDLE       = 'goldcoin-widget';
	const ADMIN_HANDLE = 'goldcoin-widget-admin';
	const VIEWS        = array( 'recharge', 'unlock', 'wallet', 'redeem', 'vip', 'referral', 'licenses', 'admin', 'bell' );
	/** Each view's tallest first screen at 390 px (as widget/src/reserve.ts), reserved so the page does not move as it mounts. */
	const MIN_HEIGHT_PX = array( 'recharge' => 624, 'unlock' => 272, 'wallet' => 496, 'redeem' => 440, 'vip' => 440, 'referral' => 720, 'licenses' => 288, 'admin' => 480, 'bell' => 28 );

	public static function register(): void {
		add_filter( 'script_loader_tag', array( __CLASS__, 'async_tag' ), 10, 2 );
		add_action( 'template_redirect', array( __CLASS__, 'no_cache_early' ) );
	}

	/** WordPress 6.1 has no loading strategy argument, so the attribute is added to the tag. */
	public static function async_tag( string $tag, string $handle ): string {
		if ( ! in_array( $handle, array( self::HANDLE, self::ADMIN_HANDLE ), true ) || str_contains( $tag, ' async' ) ) {
			return $tag;
		}
		return str_replace( '<script ', '<script async ', $tag );
	}

	/** Visitors get the small bundle; the admin view ships in its own bundle so they never download it. */
	public static function enqueue( bool $admin ): void {
		// goldcoin-admin.js carries every visitor view (the admin bar's bell included): a page that loads it gets no
		// goldcoin.js, since whichever of the two runs first defines the element, and goldcoin.js has no admin view.
		if ( ! $admin && wp_script_is( self::ADMIN_HANDLE, 'enqueued' ) ) {
			return;
		}
		if ( $admin ) {
			wp_dequeue_script( self::HANDLE );
		}
		$handle = $admin ? self::ADMIN_HANDLE : self::HANDLE;
		if ( ! wp_script_is( $handle, 'registered' ) ) {
			$url = $admin ? Goldcoin_Settings::admin_widget_url() : Goldcoin_Settings::widget_url();
			wp_register_script( $handle, $url, array(), GOLDCOIN_VERSION, true );
		}
		wp_enqueue_script( $handle );
	}

	/**
	 * A page with a token in it is one user's: DONOTCACHEPAGE for page-cache plugins, private for
	 * proxies and CDNs. Sent on template_redirect when the post's shortcodes say so (classic themes print
	 * before the content is rendered), and again from element() for anything that renders it later.
	 */
	public static function no_cache(): void {
		if ( ! defined( 'DONOTCACHEPAGE' ) ) {
			define( 'DONOTCACHEPAGE', true );
		}
		if ( ! headers_sent() ) {
			nocache_headers();
			header( 'Cache-Control: no-cache, must-revalidate, max-age=0, private' );
		}
	}

	public static function no_cache_early(): void {
		$post = get_queried_object();
		if ( ! is_user_logged_in() || ! $post instanceof WP_Post ) {
			return;
		}
		foreach ( Goldcoin_Shortcodes::TAGS as $tag ) {
			if ( has_shortcode( (string) $post->post_content, $tag ) ) {
				self::no_cache();
				return;
			}
		}
		if ( Goldcoin_Blocks::in_content( (string) $post->post_content ) ) {
			self::no_cache();
		}
	}

	/**
	 * The element for the current user; the caller has checked that someone is logged in. $extra adds attributes
	 * (premium-url: where the unlock view fetches the post's premium parts once bought; return-url: where the recharge
	 * view's "go to premium content" leads). $place 'admin-bar': the bell in the admin bar, styled for its dark bar.
	 */
	public static function element( string $view, int $post_id = 0, array $extra = array(), string $place = '' ): string {
		if ( ! in_array( $view, self::VIEWS, true ) ) {
			return '';
		}
		if ( ! Goldcoin_Settings::is_configured() ) {
			return current_user_can( 'manage_options' ) ? Goldcoin_Templates::html( 'not-configured' ) : '';
		}
		$scope = 'admin' === $view ? 'admin' : 'visitor';
		$token = Goldcoin_Tokens::mint_for_current_user( $post_id, $scope );
		if ( null === $token ) {
			return '';
		}
		self::no_cache();
		self::enqueue( 'admin' === $view );
		$refresh_url = rest_url( Goldcoin_Rest::NAMESPACE . Goldcoin_Rest::TOKEN_ROUTE );
		if ( $post_id > 0 ) {
			$refresh_url = add_query_arg( 'post', $post_id, $refresh_url );
		}
		if ( 'admin' === $scope ) {
			$refresh_url = add_query_arg( array( 'scope' => 'admin', 'admin_nonce' => wp_create_nonce( Goldcoin_Rest::ADMIN_NONCE ) ), $refresh_url );
		}
		$attributes = array(
			'view'          => $view,
			'post-id'       => $post_id > 0 ? (string) $post_id : '',
			'token'         => $token,
			'api'           => Goldcoin_Settings::sidecar_url(),
			'locale'        => get_user_locale(),
			'refresh-url'   => $refresh_url,
			'refresh-nonce' => wp_create_nonce( 'wp_rest' ),
		) + array_map( 'strval', $extra );
		$html = Goldcoin_Templates::html(
			'widget',
			array(
				'attributes' => array_filter( $attributes, static fn ( string $value ): bool => '' !== $value ),
				/** Filters the height reserved for a view before it mounts (px), so the page does not move. */
				'min_height' => (int) apply_filters( 'goldcoin_widget_min_height', self::MIN_HEIGHT_PX[ $view ], $view ),
				'place'      => $place,
			)
		);
		if ( 'unlock' === $view ) {
			/** Filters the rendered unlock widget (wrap it, add a teaser, or return '' to hide it). */
			$html = (string) apply_filters( 'goldcoin_unlock_widget_html', $html, $post_id, $attributes );
		}
		return $html;
	}
}
