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
	const VIEWS  = array( 'recharge', 'unlock', 'wallet', 'redeem', 'admin' );
	/** Each view's tallest first screen at 390 px (as widget/src/reserve.ts), reserved so the page does not move as it mounts. */
	const MIN_HEIGHT_PX = array( 'recharge' => 624, 'unlock' => 272, 'wallet' => 496, 'redeem' => 440, 'admin' => 480 );

	public static function register(): void {
		add_filter( 'script_loader_tag', array( __CLASS__, 'async_tag' ), 10, 2 );
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
		$handle = $admin ? self::ADMIN_HANDLE : self::HANDLE;
		if ( ! wp_script_is( $handle, 'registered' ) ) {
			$url = $admin ? Goldcoin_Settings::admin_widget_url() : Goldcoin_Settings::widget_url();
			wp_register_script( $handle, $url, array(), GOLDCOIN_VERSION, true );
		}
		wp_enqueue_script( $handle );
	}

	/** The element for the current user; the caller has checked that someone is logged in. */
	public static function element( string $view, int $post_id = 0 ): string {
		if ( ! in_array( $view, self::VIEWS, true ) ) {
			return '';
		}
		if ( ! Goldcoin_Settings::is_configured() ) {
			return current_user_can( 'manage_options' )
				? '<p class="goldcoin-notice">' . esc_html__( 'Gold Coins is not configured yet: set the sidecar URL and the JWT secret in Gold Coins → Settings.', 'goldcoin' ) . '</p>'
				: '';
		}
		$token = Goldcoin_Tokens::mint_for_current_user( $post_id );
		if ( null === $token ) {
			return '';
		}
		self::enqueue( 'admin' === $view );
		$refresh_url = rest_url( Goldcoin_Rest::NAMESPACE . Goldcoin_Rest::TOKEN_ROUTE );
		if ( $post_id > 0 ) {
			$refresh_url = add_query_arg( 'post', $post_id, $refresh_url );
		}
		$attributes = array(
			'view'          => $view,
			'post-id'       => $post_id > 0 ? (string) $post_id : '',
			'token'         => $token,
			'api'           => Goldcoin_Settings::sidecar_url(),
			'locale'        => get_user_locale(),
			'refresh-url'   => $refresh_url,
			'refresh-nonce' => wp_create_nonce( 'wp_rest' ),
		);
		$html = '<goldcoin-widget';
		foreach ( $attributes as $name => $value ) {
			if ( '' === $value ) {
				continue;
			}
			$escaped = in_array( $name, array( 'api', 'refresh-url' ), true ) ? esc_url( $value ) : esc_attr( $value );
			$html   .= ' ' . $name . '="' . $escaped . '"';
		}
		$min_height = (int) apply_filters( 'goldcoin_widget_min_height', self::MIN_HEIGHT_PX[ $view ], $view );
		return $html . ' style="display:block;min-height:' . $min_height . 'px"></goldcoin-widget>';
	}
}
