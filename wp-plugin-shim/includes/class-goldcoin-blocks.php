<?php
/**
 * Every shortcode as a block (blocks/<name>/block.json), rendered on the server by the same code as the shortcode.
 * The editor side is one plain script on WordPress's own wp.blocks/wp.element/wp.blockEditor, with no build step;
 * the widget blocks preview through ServerSideRender with the live widget, the premium block edits its inner blocks.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Blocks {
	const SCRIPT       = 'goldcoin-blocks';
	const EDITOR_STYLE = 'goldcoin-blocks-editor';
	const NAMES        = array( 'recharge', 'wallet', 'redeem', 'unlock', 'premium-content', 'vip-tiers', 'referral', 'bell', 'licenses' );
	/** The VIP memberships' shortcode; the tiers block renders it once a site has it. */
	const VIP_SHORTCODE = 'goldcoin_vip';

	public static function register(): void {
		add_action( 'init', array( __CLASS__, 'register_blocks' ) );
		add_action( 'enqueue_block_editor_assets', array( __CLASS__, 'editor_assets' ) );
	}

	public static function register_blocks(): void {
		wp_register_script(
			self::SCRIPT,
			plugins_url( 'assets/js/blocks.js', GOLDCOIN_PLUGIN_FILE ),
			array( 'wp-blocks', 'wp-element', 'wp-block-editor', 'wp-components', 'wp-server-side-render' ),
			GOLDCOIN_VERSION,
			true
		);
		wp_add_inline_script( self::SCRIPT, 'window.goldcoinBlocks = ' . wp_json_encode( self::editor_strings() ) . ';', 'before' );
		wp_register_style( self::EDITOR_STYLE, plugins_url( 'assets/css/goldcoin-blocks-editor.css', GOLDCOIN_PLUGIN_FILE ), array(), GOLDCOIN_VERSION );
		$texts = self::texts();
		foreach ( self::NAMES as $name ) {
			register_block_type(
				GOLDCOIN_PLUGIN_DIR . 'blocks/' . $name,
				array(
					'title'           => $texts[ $name ][0],
					'description'     => $texts[ $name ][1],
					'render_callback' => static fn ( $attributes, $content ) => self::render( $name, is_array( $attributes ) ? $attributes : array(), (string) $content ),
				)
			);
		}
	}

	/** The widget shows live in the editor's previews: the visitor script loads there too. */
	public static function editor_assets(): void {
		if ( Goldcoin_Settings::is_configured() ) {
			Goldcoin_Widget::enqueue( false );
		}
	}

	public static function render( string $name, array $attributes, string $content ): string {
		switch ( $name ) {
			case 'premium-content':
				return Goldcoin_Premium::render_block( $attributes, $content );
			case 'unlock':
				return Goldcoin_Shortcodes::unlock( array( 'post_id' => absint( $attributes['postId'] ?? 0 ) ) );
			case 'bell':
				return Goldcoin_Bell::shortcode();
			case 'vip-tiers':
				if ( shortcode_exists( self::VIP_SHORTCODE ) ) {
					return do_shortcode( '[' . self::VIP_SHORTCODE . ']' );
				}
				return Goldcoin_Templates::html( 'block-unavailable', array( 'message' => __( 'VIP tiers are not available on this site yet.', 'goldcoin' ) ) );
			default:
				return Goldcoin_Shortcodes::render( $name, 0 );
		}
	}

	/** Whether content holds one of the blocks (the page then carries a token or a buyer's content). */
	public static function in_content( string $content ): bool {
		foreach ( self::NAMES as $name ) {
			if ( has_block( 'goldcoin/' . $name, $content ) ) {
				return true;
			}
		}
		return false;
	}

	/** Titles and descriptions in the reader's language (block.json holds the English ones). */
	private static function texts(): array {
		return array(
			'recharge'        => array( __( 'Gold Coins: recharge', 'goldcoin' ), __( 'Lets a reader buy coins with USDT or another coin.', 'goldcoin' ) ),
			'wallet'          => array( __( 'Gold Coins: wallet', 'goldcoin' ), __( 'The reader’s balance, recharges and coin history.', 'goldcoin' ) ),
			'redeem'          => array( __( 'Gold Coins: rewards', 'goldcoin' ), __( 'The rewards a reader can redeem with coins.', 'goldcoin' ) ),
			'unlock'          => array( __( 'Gold Coins: unlock', 'goldcoin' ), __( 'The unlock box for a post’s price and EA download.', 'goldcoin' ) ),
			'premium-content' => array( __( 'Gold Coins: premium content', 'goldcoin' ), __( 'Blocks inside are shown only to readers who unlocked the post.', 'goldcoin' ) ),
			'vip-tiers'       => array( __( 'Gold Coins: VIP tiers', 'goldcoin' ), __( 'The VIP memberships a reader can buy with coins.', 'goldcoin' ) ),
			'referral'        => array( __( 'Gold Coins: referrals', 'goldcoin' ), __( 'The reader’s referral link and QR code, their referrals and the coins they earned.', 'goldcoin' ) ),
			'bell'            => array( __( 'Gold Coins: notifications bell', 'goldcoin' ), __( 'A bell with the reader’s unread notifications, for themes without the admin bar.', 'goldcoin' ) ),
			'licenses'        => array( __( 'Gold Coins: EA licences', 'goldcoin' ), __( 'The reader’s EA licence keys and the trading accounts activated on them.', 'goldcoin' ) ),
		);
	}

	private static function editor_strings(): array {
		$titles = array();
		foreach ( self::texts() as $name => $text ) {
			$titles[ 'goldcoin/' . $name ] = $text[0];
		}
		return array(
			'titles'  => $titles,
			'strings' => array(
				'premium'    => __( 'Premium content: only readers who unlocked this post see the blocks below.', 'goldcoin' ),
				'settings'   => __( 'Premium content', 'goldcoin' ),
				'teaser'     => __( 'Teaser', 'goldcoin' ),
				'teaserHelp' => __( 'Shown with the unlock box to readers who have not unlocked the post.', 'goldcoin' ),
				'postId'     => __( 'Post ID', 'goldcoin' ),
				'postIdHelp' => __( 'The post to sell; empty or 0 for this post.', 'goldcoin' ),
				'empty'      => __( 'Nothing to show here yet: the post has no price, or the plugin is not configured.', 'goldcoin' ),
			),
		);
	}
}
